"""The HTTP edge: the functions Connexion calls, one module per tag."""

from handlers import campaigns

MODULES = (campaigns,)
