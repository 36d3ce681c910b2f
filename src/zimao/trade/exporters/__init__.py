"""Approved exporters and declarations of origin — 经核准出口商与原产地声明 (RCEP Arts. 3.18, 3.21)."""
