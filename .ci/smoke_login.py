"""Sign in through the login form of a running server and check the home page shows the demo.

Usage: smoke_login.py BASE_URL USERNAME PASSWORD
"""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base, username, password = sys.argv[1:4]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = opener.open(f"{base}/login/", timeout=10).read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode(
    {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"}
)
request = urllib.request.Request(f"{base}/login/", data=form.encode(), headers={"Referer": f"{base}/login/"})
home = opener.open(request, timeout=10).read().decode()


def tile(key: str):
    """The count in a workspace tile: <a … data-tile="KEY"> … <div class="wa-figure">N</div>."""
    return re.search(rf'data-tile="{key}">.*?class="wa-figure">(\d+)<', home, re.DOTALL)


overdue = tile("overdue")
due_soon = tile("due_soon")
if not overdue or not due_soon:
    sys.exit(f"signed in as {username}, but the home page shows no task figures")
if int(overdue.group(1)) == 0 or int(due_soon.group(1)) == 0:
    sys.exit(
        f"the demo shows {overdue.group(1)} overdue and {due_soon.group(1)} due-soon tasks; expected some of each"
    )
print(f"{username} signed in: {overdue.group(1)} overdue, {due_soon.group(1)} due soon today")
