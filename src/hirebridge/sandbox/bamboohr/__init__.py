"""BambooHR simulator: the classic ``/api/gateway.php/{companyDomain}/v1`` API, stateful, with fault switches."""
