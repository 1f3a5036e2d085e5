from relman import errors


def test_every_error_has_a_distinct_documented_exit_code() -> None:
    classes = [
        errors.CheckFailedError,
        errors.ConfigError,
        errors.InvalidInputError,
        errors.NotFoundError,
        errors.ConflictError,
        errors.BlockedError,
        errors.GitError,
        errors.NothingToReleaseError,
        errors.DeploymentFailedError,
        errors.RollbackFailedError,
        errors.IntegrationError,
    ]
    codes = [c.exit_code for c in classes]
    assert len(set(codes)) == len(codes)
    assert errors.EXIT_USAGE not in codes
    assert 0 not in codes


def test_error_names_where() -> None:
    err = errors.ConfigError("expected HH:MM", where="relman.toml:42 windows.prod")
    assert str(err) == "expected HH:MM (relman.toml:42 windows.prod)"
    assert err.to_dict()["code"] == "config_error"
