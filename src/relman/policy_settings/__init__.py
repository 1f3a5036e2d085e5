"""The J-003 policy sections of relman.toml: models, value types and the built-in defaults.

`relman.settings.Settings` is the whole file; it includes these sections (the models live in
`relman.policy_settings.models`, `.verification`, `.notifications`, `.deployments`, `.calendar`).
This package sits between `relman.settings` and `relman.domain` (it may use the domain, never
the other way round). Importing the package itself builds nothing: `relman.settings_core` uses
`.base`, `.components` and `.locate` without the cost of the models of the whole policy.
"""
