"""The dispatcher: one account's round (`round`), the loop over the accounts with work (`loop`),
one dispatcher per data directory (`lock`), and the carrier it dials through (`dialer`)."""
