"""SO2: improve the living conditions of affected populations (SO2-1 poverty, SO2-2 drinking water, SO2-3 exposure to land degradation)."""
