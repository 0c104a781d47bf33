"""GET /v1/customers/{customer}/chain_check: the customer's chain audited as `make verify` audits it."""

from ledger import audit
from ledger.api.operation import ApiRequest, operation
from ledger.params import CheckChain

PROBLEMS_SHOWN_MAX = 20  # a chain broken early can have one problem per later transaction


def chain_check(result: audit.ChainCheck, params: CheckChain) -> dict[str, object]:
    """This ledger's own object (Stripe has none): `intact`, else the first break and the count."""
    return {
        "object": "chain_check",
        "customer": result.customer.id,
        "livemode": result.customer.mode == "live",
        "intact": not result.problems,
        "transactions": result.transactions,
        "first_break": result.problems[0] if result.problems else None,
        "problem_count": len(result.problems),
        "problems": result.problems[:PROBLEMS_SHOWN_MAX],
    }


@operation(CheckChain, chain_check, response="chain_check")
def lambda_handler(request: ApiRequest[CheckChain]) -> audit.ChainCheck:
    return audit.check_customer(request.caller, request.path["customer"])
