"""leaderctl: keep Toobit copy-trading leader settings as code.

The data flows one way, a room per step:

- config files -> desired model: `yamlload` (YAML with every value's location),
  `spec` (every setting and rule, once), `schema` (the JSON Schema made from it),
  `profiles` (`extends`), `policy` and `windows` (guardrails), `config` (all of it
  into `model.Desired`);
- live state: `exchange/` (HTTP, signing, limits, error codes; imports nothing of
  the app), `session` (where requests go), `live` (answers into `model.Live`);
- plan: `planner` (pure: desired x live -> changes), `runner` (many leaders in
  parallel), `planfile` and `binding` (saved plans and what they bind);
- apply: `applier` (fresh read, write, read back), `interrupts` (Ctrl-C);
- report: `render/` (text, markdown, JSON, escaping), `progress`, `notify`
  (webhook, metrics), `github/` (everything that knows GitHub);
- the commands: `operations` (each command's core), `boundary` (the one error
  boundary), `cli`; beside them `refresh` and `yamledit` (live values written back
  into the config), `importer`, `show`, and `sandbox/` (the simulated exchange, an
  independent oracle).
"""

__version__ = "0.2.0"
