"""The portal's shared helpers (门户公共部件): what every service's pages use — who may open a page,
how a refusal becomes a page, the reader's language for bilingual data, and the adapter that draws
a catalogue form section as HTML fields.

A layer of its own, between the engine and the services: it may import ``core`` and the engine
(``catalog``, ``cases``, ``licences``), never a service app or ``web``; every service's views
(``permits``, ``trade``, ``bonded``) and ``web`` import it. ``zimao.web.pages``/``forms``/``present``
re-export these names for code written before the move.
"""
