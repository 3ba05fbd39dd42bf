"""Medical report analysis: the reference use of the pipeline and debate patterns.

    extraction   labs, medications, diagnoses with negation / family / history traits
    ontology     ICD-10-CM codes (simple-icd-10-cm), medication names, lab units
    ranges       the reference-range table (LOINC-keyed, adult, sex-specific where it matters)
    analysis     flags (low | normal | high | critical) and findings across results
    differential the offline rule table the debate's analysts reason from (a demonstrator)
    report       the structured summary: markdown and the `analyze --json` object
    pipeline     `analyze_report(text, debate=...)`: the stages above, as a `Pipeline`

Nothing is imported here, so `import frontdesk` stays light: import from the modules, e.g.
`from frontdesk.medical.pipeline import analyze_report`. Not a medical device (docs/medical.md).
"""
