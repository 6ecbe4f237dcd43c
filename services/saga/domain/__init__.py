"""Pure model of a saga: its states, its steps, the retry policy and the placement rules."""
