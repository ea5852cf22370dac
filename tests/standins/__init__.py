"""Local stand-ins for the warehouses and S3, started and stopped by the tests themselves.

Test-only: servers (PostgreSQL, fakesnow, bqemulator, moto) and the small client/server shims
they need. Nothing here is imported by the product. Facts behind each shim:
`../shared/reference/destinations.md` and `reference/standins/`.
"""
