"""What tests/ and bench/ share, so that neither imports the other: server processes on 127.0.0.1
(`servers`) and the hostile contacts files (`hostile`)."""
