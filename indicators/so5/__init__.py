"""SO5: financial and non-financial resources (SO5-1 … SO5-4 flows in USD with Tier 1 trends, SO5-5 narrative)."""
