"""The offline sample documents behind `make demo`.

Written for this project in the layout of General Assembly documents; they are samples, not UN
documents: every title says so and the symbols use a session (99th) that has not happened.
`python -m samples.build` renders them to PDF and lays out `samples/archive/`.
"""

from __future__ import annotations

AGENDA_TITLE = "Globalization and interdependence: international migration and development"
SAMPLE_NOTE = "Sample document written for the unmig demo; not a United Nations document."

DOCUMENTS: list[dict] = [
    {
        "record_id": "9900101",
        "symbol": "A/99/101",
        "doc_type": "report",
        "date": "2025-09-12",
        "session": "Ninety-ninth session",
        "agenda_item": "18 (c)",
        "agenda_title": AGENDA_TITLE,
        "title": "International migration and development (sample)",
        "subtitle": "Report of the Secretary-General",
        "subjects": ["INTERNATIONAL MIGRATION", "REMITTANCES", "SUSTAINABLE DEVELOPMENT"],
        "sections": [
            ("I. Introduction", [
                ("1", "The present report is submitted pursuant to General Assembly resolution "
                      "97/210, in which the Assembly requested an update on the contribution of "
                      "international migration to sustainable development.", [], []),
                ("2", "The report draws on contributions from Member States, entities of the "
                      "United Nations system and civil society organizations received in 2025.",
                 [], []),
            ]),
            ("II. Trends in international migration", [
                ("3", "The number of international migrants continued to grow, reaching an "
                      "estimated 290 million, or 3.6 per cent of the world population. Women "
                      "accounted for nearly half of all international migrants.", [], ["1"]),
                ("4", "Remittances to low- and middle-income countries remained resilient and "
                      "exceeded the combined value of official development assistance and "
                      "foreign direct investment in several regions. The average cost of "
                      "sending remittances nevertheless remained well above the target of "
                      "3 per cent set in the 2030 Agenda for Sustainable Development.", [], []),
                ("5", "Member States reported measures in three areas:", [
                    ("a", "lowering the cost of remittance transfers through digital channels;"),
                    ("b", "recognizing the skills and qualifications of migrant workers;"),
                    ("c", "extending social protection to migrants and their families."),
                ], []),
            ]),
            ("III. Conclusions and recommendations", [
                ("6", "Member States may wish to strengthen the collection of disaggregated "
                      "data on migration, so that well-being and development outcomes of "
                      "migrants can be measured over time.", [], []),
                ("7", "The General Assembly may wish to encourage further cooperation on "
                      "fair and ethical recruitment and on the portability of earned benefits.",
                 [], []),
            ]),
        ],
        "footnotes": {"1": "Sample figure, for demonstration only."},
    },
    {
        "record_id": "9900202",
        "symbol": "A/RES/99/202",
        "doc_type": "resolution",
        "date": "2025-10-20",
        "session": "Ninety-ninth session",
        "agenda_item": "18 (c)",
        "agenda_title": AGENDA_TITLE,
        "title": "International migration and development (sample resolution)",
        "subtitle": "Resolution adopted by the General Assembly on 20 October 2025",
        "subjects": ["MIGRATION", "MIGRANT WORKERS"],
        "preambular": [
            "Recalling its resolutions on international migration and development,",
            "Reaffirming the commitment to protect the human rights of all migrants, "
            "regardless of their migration status,",
            "Recognizing the contribution of migrants to inclusive growth and sustainable "
            "development in countries of origin, transit and destination,",
        ],
        "operative": [
            ("1", "Takes note of the report of the Secretary-General;", [], []),
            ("2", "Encourages Member States to reduce the transaction costs of migrant "
                  "remittances and to promote financial inclusion;", [], []),
            ("3", "Calls upon Member States:", [
                ("a", "to protect migrant workers against exploitation and abuse;"),
                ("b", "to facilitate safe, orderly and regular migration;"),
            ], []),
            ("4", "Decides to include in the provisional agenda of its hundredth session the "
                  "sub-item entitled \u201cInternational migration and development\u201d.",
             [], []),
        ],
        "meeting": "52nd plenary meeting\n20 October 2025",
    },
    {
        "record_id": "9900303",
        "symbol": "A/99/303",
        "doc_type": "note",
        "date": "2025-11-05",
        "session": "Ninety-ninth session",
        "agenda_item": "18 (c)",
        "agenda_title": AGENDA_TITLE,
        "title": "Summary of the sample dialogue on migration and development",
        "subtitle": "Note by the President of the General Assembly",
        "subjects": ["INTERNATIONAL MIGRATION", "BRAIN DRAIN"],
        "sections": [
            ("", [
                ("1", "The President of the General Assembly has the honour to transmit "
                      "herewith the summary of the sample dialogue on international migration "
                      "and development held in New York.", [], []),
            ]),
        ],
        "annexes": [
            ("Annex", "Summary of the dialogue", [
                ("I. Opening", [
                    ("1", "Speakers stressed that the high-level dialogue was an opportunity "
                          "to take stock of progress since the adoption of the Global Compact "
                          "for Safe, Orderly and Regular Migration.", [], []),
                ]),
                ("II. Round tables", [
                    ("2", "Participants discussed the effects of highly skilled emigration "
                          "on health systems in countries of origin and the role of ethical "
                          "recruitment codes.", [], []),
                    ("3", "Several participants called for co-development programmes linking "
                          "diaspora communities with local development plans.", [], []),
                ]),
            ]),
        ],
    },
]
