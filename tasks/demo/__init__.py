"""The demo county: 洪洞县's Winter Action, built from the county paper of late November 2023.

The source is `shared/domain/000_18a6dc4344faa821.txt`: its special actions, units and sentences
become the units, special actions and tasks of the demo. People are named by position, never by the
names in the article.

- `data.py`: the county as plain data: the city and the county, their units, people, leaders' charges,
  special actions, and the demo accounts (all sign in with DEMO_PASSWORD);
- `task_list.py`: the tasks and their history (reports, milestones, close-outs, extensions, instructions);
- `loader.py`: builds the county through the services, like any other writer.

The supervision side of the demo (groups, an inspection, supervision orders) and `load_demo()`, which
builds the whole demo in one transaction, are in supervision/demo.py: dependencies go from supervision
to tasks, never back.

Dates are offsets in days from today, so "today" always falls inside the campaign.
Today stands for 2023-12-01, the day after the 11-30 推进会: the campaign started
25 days ago (early November) and ends 60 days from now (before the Spring Festival);
year end is about 30 days away. Article dates map to 11-17 = -14, 11-19 = -12,
11-24 = -7, 11-27 = -4, 11-30 = -1.
"""
