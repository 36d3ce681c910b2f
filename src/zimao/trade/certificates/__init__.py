"""Certificates of origin — 原产地证书: the document (``document``), the service (``services``),
public verification and statistics (``verification``), pages (``views``) and API (``api``)."""
