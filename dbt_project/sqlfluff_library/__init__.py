"""Stand-ins for dbt's Jinja context, for sqlfluff's jinja templater (`.sqlfluff`).

sqlfluff-templater-dbt would compile the models for real but needs a warehouse connection and
is not installed; the jinja templater plus these stand-ins renders the same SQL shapes.
"""
