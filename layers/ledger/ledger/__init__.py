"""The customer credit-balance ledger: domain code shared by every function through the layer.

Folders say where a rule lives: ``api/`` turns API Gateway events into calls and objects into
Stripe's JSON; ``customers`` and ``balance_transactions`` hold the business rules; ``chain`` is the
optimistic commit loop that keeps each customer's transactions sequential; ``dal`` is the only module
that talks to DynamoDB.
"""
