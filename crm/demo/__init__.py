"""The demo data of ``manage.py seed_crm``: a sales team and a year or more of its work.

``generator``  the records, realistic and bilingual, each linked to what came before it
``words``      the Arabic and English word lists the records are made of
``team``       the manager and the reps, in their role groups, and their login lines
``bulk``       loading fast: batched inserts with history, indexes built after the rows,
               the progress bar, the reset, and the planner's statistics refreshed
"""
