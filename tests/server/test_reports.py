"""`POST /v1/reports/analyze` over real HTTP: the `analyze --json` object, with and without the
debate; bad input is a clear 4xx."""

from __future__ import annotations

from .harness import LiveServer

REPORT = """LAB RESULTS
Hemoglobin 10.2 g/dL
Potassium 6.8 mmol/L
MEDICATIONS: Metformin 500 mg PO BID
ASSESSMENT: Type 2 diabetes mellitus. No evidence of pneumonia."""


async def test_a_report_is_analysed_over_http(server: LiveServer) -> None:
    async with server.client(server.key("client", name="doctor")) as http:
        plain = await http.post("/v1/reports/analyze", json={"text": REPORT})
        assert plain.status_code == 200, plain.text
        result = plain.json()
        labs = {lab["name"]: lab for lab in result["labs"]}
        assert labs["Hemoglobin"]["value"] == 10.2
        assert labs["Hemoglobin"]["flag"] == "low"
        assert labs["Potassium"]["flag"] == "critical"
        assert result["medications"][0]["dose"] == "500 mg"
        diagnoses = {d["icd10"]: d for d in result["diagnoses"]}
        assert diagnoses["E11.9"]["negated"] is False
        assert diagnoses["J18.9"]["negated"] is True
        assert "debate" not in result or result["debate"] is None
        assert result["summary_markdown"]

        debated = await http.post("/v1/reports/analyze", json={"text": REPORT, "debate": True})
        assert debated.status_code == 200, debated.text
        debate = debated.json()["debate"]
        assert {"analyses", "agreement", "requires_human_review"} <= set(debate)

        for body in ({"text": ""}, {"text": "   "}, {}, {"text": REPORT, "debate": "maybe"}):
            refused = await http.post("/v1/reports/analyze", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["error"]["message"]
