"""What every job spec is made of: `base.SpecBase` (unknown fields refused, strict types, caller
labels, the paths a job reads and writes) and `paths.WorkspacePath` (paths that stay in the
workspace). Each kind's own spec lives in its package under `core/kinds/`."""
