"""The pure pricing model: prices, promotions, stacking, the quote engine and the launch check."""
