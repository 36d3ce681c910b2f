"""Database back ends of zimao's own (``DATABASES["default"]["ENGINE"]``)."""
