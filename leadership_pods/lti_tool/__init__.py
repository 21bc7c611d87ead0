"""The LMS boundary: LTI 1.3 login and launch, keys, platform registry, services.

Nothing downstream of this package reads raw LTI claims: a launch ends as a
:class:`~leadership_pods.lti_tool.context.LaunchContext`.
"""
