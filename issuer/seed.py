"""Synthetic registers: 10,000 Korean people with small portraits, licences and businesses, via CSV.

Deterministic (a seeded RNG), so tests and demos see the same people. Nothing here is real: resident
numbers keep the 13-digit shape but are drawn at random, names come from frequency-weighted lists.
The generator writes ``data_dir/registers/*.csv``; ``load_csv`` bulk-loads them into the registers.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from issuer.db.models import Business, Licence, Person

SURNAMES = [("김", "Kim", 21.5), ("이", "Lee", 14.7), ("박", "Park", 8.4), ("최", "Choi", 4.7), ("정", "Jung", 4.3),
            ("강", "Kang", 2.3), ("조", "Cho", 2.1), ("윤", "Yoon", 2.1), ("장", "Jang", 2.0), ("임", "Lim", 1.7),
            ("한", "Han", 1.5), ("오", "Oh", 1.5), ("서", "Seo", 1.5), ("신", "Shin", 1.4), ("권", "Kwon", 1.4),
            ("황", "Hwang", 1.4), ("안", "Ahn", 1.4), ("송", "Song", 1.3), ("류", "Ryu", 1.2), ("홍", "Hong", 1.1)]
SYLLABLES = [("민", "min"), ("서", "seo"), ("지", "ji"), ("현", "hyeon"), ("준", "jun"), ("우", "u"), ("연", "yeon"),
             ("수", "su"), ("영", "yeong"), ("하", "ha"), ("은", "eun"), ("도", "do"), ("윤", "yun"), ("예", "ye"),
             ("진", "jin"), ("성", "seong"), ("희", "hui"), ("재", "jae"), ("아", "a"), ("호", "ho")]
PLACES = [("서울특별시", "종로구"), ("서울특별시", "강남구"), ("서울특별시", "마포구"), ("부산광역시", "해운대구"),
          ("대구광역시", "수성구"), ("인천광역시", "연수구"), ("광주광역시", "북구"), ("대전광역시", "유성구"),
          ("울산광역시", "남구"), ("세종특별자치시", "한솔동"), ("경기도", "수원시"), ("경기도", "성남시"),
          ("강원특별자치도", "춘천시"), ("충청북도", "청주시"), ("전북특별자치도", "전주시"), ("경상남도", "창원시"),
          ("제주특별자치도", "제주시")]
STREETS = ["중앙로", "세종대로", "테헤란로", "해운대로", "대학로", "문화로", "시청로", "평화로"]
CLASSES = ["1종 대형", "1종 보통", "2종 보통", "2종 소형", "2종 원동기장치자전거"]
BUSINESS_WORDS = ["한빛", "미래", "새봄", "푸른", "동해", "바른", "다온", "가람"]
BUSINESS_KINDS = ["상사", "무역", "식품", "전자", "건설", "물산", "테크", "유통"]
FIRST_BIRTH = dt.date(1940, 1, 1)
BIRTH_SPAN = (dt.date(2012, 12, 31) - FIRST_BIRTH).days


def portrait(rng: random.Random) -> bytes:
    """A small grey-scale drawn face (96x128 JPEG, under 2 KB): enough to test photo display and sizes."""
    img = Image.new("L", (96, 128), 235)
    draw = ImageDraw.Draw(img)
    skin, hair = rng.randint(150, 210), rng.randint(20, 90)
    draw.ellipse((18, 26, 78, 104), fill=skin)
    draw.chord((14, 12, 82, 70), 180, 360, fill=hair)
    eye_y = rng.randint(56, 62)
    for x in (34, 56):
        draw.ellipse((x, eye_y, x + 7, eye_y + 5), fill=40)
    draw.arc((36, 78, 60, 92), 20, 160, fill=60, width=2)
    draw.rectangle((20, 108, 76, 128), fill=rng.randint(60, 140))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=45, optimize=True)
    return out.getvalue()


def _name(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(SYLLABLES, 2)
    return a[0] + b[0], (a[1] + b[1]).capitalize()


def generate(folder: Path, *, people: int = 10_000, seed: int = 20261125) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    weights = [w for _, _, w in SURNAMES]
    with (folder / "persons.csv").open("w", newline="", encoding="utf-8") as pf, \
            (folder / "licences.csv").open("w", newline="", encoding="utf-8") as lf, \
            (folder / "businesses.csv").open("w", newline="", encoding="utf-8") as bf:
        persons, licences, businesses = csv.writer(pf), csv.writer(lf), csv.writer(bf)
        persons.writerow(["id", "resident_number", "family_name", "given_name", "family_name_latin",
                          "given_name_latin", "birth_date", "sex", "address", "nationality", "portrait_b64"])
        licences.writerow(["person_id", "number", "classes", "conditions", "issue_date", "expiry_date",
                           "aptitude_test_due"])
        businesses.writerow(["registration_number", "name", "representative_id", "address", "opened_on", "status"])
        for pid in range(1, people + 1):
            surname = rng.choices(SURNAMES, weights)[0]
            given, given_latin = _name(rng)
            born = FIRST_BIRTH + dt.timedelta(days=rng.randint(0, BIRTH_SPAN))
            sex = rng.choice([1, 2])
            code = (1 if born.year < 2000 else 3) + (sex - 1)
            resident = f"{born:%y%m%d}-{code}{rng.randint(0, 999_999):06d}"
            city, district = rng.choice(PLACES)
            address = f"{city} {district} {rng.choice(STREETS)} {rng.randint(1, 300)}"
            nationality = "KR" if rng.random() < 0.97 else rng.choice(["VN", "CN", "US", "PH", "UZ"])
            persons.writerow([pid, resident, surname[0], given, surname[1], given_latin, born.isoformat(), sex, address,
                              nationality, base64.b64encode(portrait(rng)).decode()])
            if born.year <= 2007 and rng.random() < 0.6:
                issued = dt.date(2026, 1, 1) - dt.timedelta(days=rng.randint(0, 3000))
                classes = rng.sample(CLASSES, rng.choice([1, 1, 2]))
                conditions = ["안경 착용"] if rng.random() < 0.2 else []
                number = f"{rng.randint(11, 28)}-{issued:%y}-{rng.randint(0, 999999):06d}-{rng.randint(10, 99)}"
                licences.writerow([pid, number,
                                   json.dumps(classes, ensure_ascii=False), json.dumps(conditions, ensure_ascii=False),
                                   issued.isoformat(), (issued + dt.timedelta(days=3652)).isoformat(),
                                   (issued + dt.timedelta(days=3652)).isoformat()])
            if born.year <= 2000 and rng.random() < 0.15:
                opened = dt.date(2026, 1, 1) - dt.timedelta(days=rng.randint(30, 9000))
                businesses.writerow([f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10000, 99999)}",
                                     f"{rng.choice(BUSINESS_WORDS)}{rng.choice(BUSINESS_KINDS)}", pid, address,
                                     opened.isoformat(), "active" if rng.random() < 0.9 else "closed"])


def load_csv(session: Session, folder: Path) -> int:
    """Bulk-load the CSV registers (when the resident register is empty); returns the number of people."""
    if session.scalars(select(Person.id).limit(1)).first() is not None:
        return 0
    rows = []
    with (folder / "persons.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({"id": int(r["id"]), "resident_number": r["resident_number"], "family_name": r["family_name"],
                         "given_name": r["given_name"], "family_name_latin": r["family_name_latin"],
                         "given_name_latin": r["given_name_latin"],
                         "birth_date": dt.date.fromisoformat(r["birth_date"]),
                         "sex": int(r["sex"]), "address": r["address"], "nationality": r["nationality"],
                         "portrait": base64.b64decode(r["portrait_b64"])})
    for start in range(0, len(rows), 2000):
        session.execute(insert(Person), rows[start:start + 2000])
    with (folder / "licences.csv").open(encoding="utf-8") as f:
        licences = [{"person_id": int(r["person_id"]), "number": r["number"], "classes": json.loads(r["classes"]),
                     "conditions": json.loads(r["conditions"]), "issue_date": dt.date.fromisoformat(r["issue_date"]),
                     "expiry_date": dt.date.fromisoformat(r["expiry_date"]),
                     "aptitude_test_due": dt.date.fromisoformat(r["aptitude_test_due"])} for r in csv.DictReader(f)]
    if licences:
        session.execute(insert(Licence), licences)
    with (folder / "businesses.csv").open(encoding="utf-8") as f:
        seen: set[str] = set()
        businesses = []
        for r in csv.DictReader(f):
            if r["registration_number"] in seen:
                continue
            seen.add(r["registration_number"])
            businesses.append({"registration_number": r["registration_number"], "name": r["name"],
                               "representative_id": int(r["representative_id"]), "address": r["address"],
                               "opened_on": dt.date.fromisoformat(r["opened_on"]), "status": r["status"]})
    if businesses:
        session.execute(insert(Business), businesses)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequence past them
        from sqlalchemy import text

        session.execute(text("SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT max(id) FROM persons))"))
    return len(rows)
