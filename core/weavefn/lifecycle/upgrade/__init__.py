"""Rolling upgrades: when one may start, its typed state, each pure decision, and the Step."""
