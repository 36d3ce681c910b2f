"""The trade single window — 国际贸易"单一窗口": one declaration by a trader, fanned out to the
agencies (customs 海关, commerce 商务, tax 税务) through pluggable adapters, their answers collected
into one status.

* ``agencies`` — who receives what (each agency's message built from the one declaration);
* ``registry`` — the adapter registry (an Open Forms-style registry class) and the adapter contract;
* ``sandbox`` — an adapter that behaves like an agency (delayed answers, rejections, outages),
  deterministic under a seed, for the demo and the tests;
* ``services`` — ``declare``, ``process`` (one send or poll of one outbox row), ``retry_due``,
  ``declaration_status``;
* ``tasks`` — the background tasks (Django's tasks API).
"""
