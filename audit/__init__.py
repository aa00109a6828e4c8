"""The append-only, hash-chained audit ledger, its verification and exports."""
