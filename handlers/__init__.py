"""The HTTP edge: the functions Connexion calls, one module per tag."""

from handlers import call_limits, campaigns

MODULES = (campaigns, call_limits)
