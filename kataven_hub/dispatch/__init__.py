"""The dispatcher: one account's round (`round`), dialling what a round committed (`dials`), the
loop over the accounts with work (`loop`), dev mode's account clocks (`clocks`), one dispatcher per
data directory (`lock`), the carrier it dials through (`dialer`) and its record shared by replicas
on PostgreSQL (`shared`)."""
