"""The one data model both API surfaces share: jobs, candidates, applications, offers, external ids."""
