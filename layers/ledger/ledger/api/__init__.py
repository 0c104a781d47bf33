"""HTTP glue: API Gateway REST proxy events in, Stripe-shaped JSON out."""
