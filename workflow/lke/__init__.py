"""The LKE worksheet (Lembar Kerja Evaluasi): rubric versions, scoring, answers, evidence, Excel.

A pure core (``rubric``, ``scoring``) that imports neither Flask nor the database, and the
use cases beside it that persist answers and evidence.
"""
