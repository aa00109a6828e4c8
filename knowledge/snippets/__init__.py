"""The data fuel factory: ingested dialogue snippets on their way to the pool.

A snippet is desensitized on the way in, labelled by annotators (leases, quota,
double labelling for agreement), approved or rejected by legal, and only once
approved embedded into the knowledge pool. Withdrawal and erasure take it out.

    annotating ──labels done──▶ review ──approve──▶ approved ──withdraw──▶ withdrawn
                                      └──reject───▶ rejected
    (erasure deletes the snippet, its labels and its leases in any state)
"""
