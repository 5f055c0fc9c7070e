"""SO4: global environmental benefits (SO4-1 carbon stocks, SO4-2 Red List Index, SO4-3 KBA protected-area coverage)."""
