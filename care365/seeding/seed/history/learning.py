"""Health education by the doctors, and the volunteers' study help and interests, over the
history's days: a few sessions per township (the demo's doctor giving some of them to the
children paired with them), learning goals with progress notes for about a third of the
children a volunteer visits, and interest activities for the interests the registry records,
among them the demo volunteer's child who fell in love with music."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from care365.accounts.models import User
from care365.care.models import (
    HealthSession,
    HealthTopic,
    InterestActivity,
    LearningGoal,
    LearningNote,
    Subject,
)
from care365.carers.models import CarerRole
from care365.registry.models import Interest
from care365.seeding.seed.history.care import CareWriter, Kid

LEARNING_SHARE = 0.35  # of the children a volunteer visits with the guardian's consent
INTEREST_SHARE = 0.5  # of those, with an interest the registry records

# The topic of each of the history's session titles (texts.HEALTH_TOPICS).
TOPIC_OF = {
    "防溺水与夏季安全": HealthTopic.DROWNING,
    "近视预防与用眼卫生": HealthTopic.MYOPIA,
    "口腔卫生与正确刷牙": HealthTopic.ORAL_HEALTH,
    "合理膳食与均衡营养": HealthTopic.NUTRITION,
    "青春期健康教育": HealthTopic.PUBERTY,
    "传染病预防与洗手": HealthTopic.INFECTIOUS_DISEASE,
    "心理健康：与情绪做朋友": HealthTopic.MENTAL_HEALTH,
}
MATERIALS = {
    HealthTopic.DROWNING: "防溺水宣传挂图，《防溺水六不准》折页",
    HealthTopic.MYOPIA: "视力表，眼保健操示范视频",
    HealthTopic.ORAL_HEALTH: "牙齿模型、牙刷，每人一支含氟牙膏",
    HealthTopic.NUTRITION: "膳食宝塔挂图，营养早餐图片",
    HealthTopic.PUBERTY: "青春期健康读本（分男生、女生版）",
    HealthTopic.INFECTIOUS_DISEASE: "七步洗手法海报，洗手液",
    HealthTopic.MENTAL_HEALTH: "情绪卡片，绘本《我的情绪小怪兽》",
}
# The demo doctor's sessions, newest first: (topic, title).
DEMO_SESSIONS = (
    (HealthTopic.DROWNING, "暑假防溺水安全课"),
    (HealthTopic.MYOPIA, "爱眼护眼，预防近视"),
    (HealthTopic.ORAL_HEALTH, "正确刷牙，保护牙齿"),
    (HealthTopic.MENTAL_HEALTH, "和情绪做朋友"),
)
GOALS: dict[str, tuple[str, ...]] = {
    Subject.MATHS: ("背熟乘法口诀", "两位数加减法不再出错", "学会解简单的应用题"),
    Subject.CHINESE: ("每周写一篇日记", "会背本学期的古诗", "认字写字，错别字少一些"),
    Subject.ENGLISH: ("认识26个字母", "每天读英语课文十分钟"),
    Subject.READING: ("每周读完一本课外书", "每天睡前阅读二十分钟"),
    Subject.HOMEWORK: ("放学后先写完作业再玩", "作业本保持整洁"),
}
PROGRESS = (
    "比上次熟练多了，还要多练",
    "这周作业全对，表扬了她",
    "有点退步，和奶奶商量每天固定学习时间",
    "自己主动拿出书来读了",
    "老师说上课举手多了",
    "背到一半，剩下的下次继续",
)
ACHIEVED = ("目标完成了，孩子很有成就感", "期末考试进步明显，目标达成")
DROPPED = ("孩子转学，暂停这个目标", "和孩子商量后换一个更合适的目标")
ACTIVITIES: dict[str, tuple[str, ...]] = {
    Interest.MUSIC: ("教唱畲族山歌", "学吹竖笛", "一起听音乐、打节拍"),
    Interest.DANCE: ("学跳畲族竹竿舞", "排练六一舞蹈节目"),
    Interest.ART: ("画了自己的家", "用彩泥捏小动物"),
    Interest.SPORT: ("在村篮球场练投篮", "跳绳比赛，一分钟跳了一百二十下"),
    Interest.READING: ("读《草房子》并讲给我听", "去村图书室借书"),
    Interest.SCIENCE: ("做了一个小风车", "观察蚂蚁搬家"),
    Interest.CALLIGRAPHY: ("练习毛笔字“永”字八法", "写春联"),
    Interest.CRAFTS: ("用竹子编小篮子", "折纸飞机比赛"),
}
# The demo volunteer's child who fell in love with music (the county's story), oldest first.
MUSIC_STORY = (
    ("第一次摸到竖笛，吹出了声音", "有点害羞，但很好奇"),
    ("学会吹《小星星》", "回家吹给奶奶听了"),
    ("一起听畲族山歌，跟着唱了一段", "说喜欢唱歌时的自己"),
    ("在村里的六一晚会上吹竖笛", "她爱上了音乐，说长大想当音乐老师"),
)


class LearningWriter:
    """Writes the health sessions' details, the demo doctor's sessions, and the learning
    goals, notes and interest activities, through the care writer's moments."""

    def __init__(self, care: CareWriter) -> None:
        self.care = care
        self.rng: random.Random = care.rng
        self.window = care.window
        self.counts: Counter[str] = Counter()

    def sessions_detail(self) -> None:
        """The history's sessions (titled from texts.HEALTH_TOPICS) get their topic, materials
        and a count of the others present (teachers, classmates)."""
        rows = list(HealthSession.objects.filter(held_on__gte=self.window.first))
        for s in rows:
            s.topic = TOPIC_OF.get(s.title, HealthTopic.OTHER)
            s.materials = MATERIALS.get(s.topic, "")
            s.other_attendees = self.rng.randrange(0, 40)
        HealthSession.objects.bulk_update(rows, ["topic", "materials", "other_attendees"])

    def demo_doctor_sessions(self, kids: list[Kid]) -> None:
        """Four sessions the demo's doctor gave in their township, with the children paired
        with them that day, most of them coming."""
        user = User.objects.filter(username="doctor", carer__isnull=False).first()
        if user is None or user.carer is None:
            return
        carer = user.carer
        township = carer.organisation.area
        planned: list[tuple[HealthSession, list[int]]] = []
        for n, (topic, title) in enumerate(DEMO_SESSIONS):
            day = self.window.today - timedelta(days=20 + 80 * n)
            if day < self.window.first:
                break
            came = [
                k.pk
                for k in kids
                if (s := k.carer_on(CarerRole.DOCTOR, day)) is not None
                and s.carer == carer.pk
                and self.rng.random() < 0.8
            ]
            session = HealthSession(
                topic=topic,
                title=title,
                held_on=day,
                place=f"{township.name}中心小学",
                area=township,
                doctor_id=carer.pk,
                recorded_by_id=user.pk,
                materials=MATERIALS.get(topic, ""),
                other_attendees=self.rng.randrange(5, 30),
            )
            planned.append((session, came))
        sessions = HealthSession.objects.bulk_create([s for s, _ in planned])
        self.care.recorded(HealthSession, sessions, "held_on")
        through = HealthSession.children.through
        through.objects.bulk_create(
            [
                through(healthsession_id=s.pk, child_id=c)
                for s, (_s, came) in zip(sessions, planned, strict=True)
                for c in came
            ]
        )
        self.counts["health_session"] += len(sessions)

    def learning(self, kids: list[Kid]) -> None:
        """Goals, notes and interest activities for children a volunteer visits today (with
        the guardian's consent): about a third of them, every child of the demo volunteer."""
        rng, window = self.rng, self.window
        demo = User.objects.filter(username="volunteer", carer__isnull=False).first()
        demo_carer = demo.carer_id if demo is not None else None
        goals: list[LearningGoal] = []
        notes: list[tuple[int, LearningNote]] = []
        activities: list[InterestActivity] = []
        told = False
        for kid in kids:
            spell = kid.carer_on(CarerRole.VOLUNTEER, window.today)
            if spell is None or kid.volunteer_consent is None or kid.exited is not None:
                continue
            mine = spell.carer == demo_carer
            if not mine and rng.random() >= LEARNING_SHARE:
                continue
            start = max(spell.since, kid.registered, window.first)
            subject = rng.choice(list(GOALS))
            started = window.day(rng, lo=start, hi=window.today - timedelta(days=14))
            goal = LearningGoal(
                child_id=kid.pk,
                subject=subject,
                goal=rng.choice(GOALS[subject]),
                started_on=started,
                set_by_id=spell.user,
                carer_id=spell.carer,
            )
            days = sorted(window.day(rng, lo=started, hi=window.today) for _ in range(3))
            ending = rng.random()
            if ending < 0.25:
                goal.state, goal.ended_on = LearningGoal.State.ACHIEVED, days[-1]
            elif ending < 0.32:
                goal.state, goal.ended_on = LearningGoal.State.DROPPED, days[-1]
            goals.append(goal)
            for i, day in enumerate(days):
                last = i == len(days) - 1
                text = rng.choice(PROGRESS)
                if last and goal.state == LearningGoal.State.ACHIEVED:
                    text = rng.choice(ACHIEVED)
                elif last and goal.state == LearningGoal.State.DROPPED:
                    text = rng.choice(DROPPED)
                notes.append(
                    (
                        len(goals) - 1,
                        LearningNote(noted_on=day, note=text, written_by_id=spell.user),
                    )
                )
            if mine and not told:
                told = True
                activities += self._music_story(kid, start, spell.user, spell.carer)
                continue
            interests = [i for i in kid.interests if i in ACTIVITIES]
            if interests and (mine or rng.random() < INTEREST_SHARE):
                for _ in range(rng.randrange(2, 5)):
                    interest = rng.choice(interests)
                    activities.append(
                        InterestActivity(
                            child_id=kid.pk,
                            interest=interest,
                            done_on=window.day(rng, lo=start),
                            what=rng.choice(ACTIVITIES[interest]),
                            written_by_id=spell.user,
                            carer_id=spell.carer,
                        )
                    )
        made = LearningGoal.objects.bulk_create(goals, batch_size=2000)
        self.care.recorded(LearningGoal, made, "started_on")
        for index, note in notes:
            note.goal_id = made[index].pk
        written = LearningNote.objects.bulk_create([n for _, n in notes], batch_size=2000)
        self.care.recorded(LearningNote, written, "noted_on")
        done = InterestActivity.objects.bulk_create(activities, batch_size=2000)
        self.care.recorded(InterestActivity, done, "done_on")
        self.counts["learning_goal"] += len(made)
        self.counts["learning_note"] += len(written)
        self.counts["interest_activity"] += len(done)

    def _music_story(self, kid: Kid, start: date, user: int, carer: int) -> list[InterestActivity]:
        window = self.window
        span = max((window.today - start).days, len(MUSIC_STORY))
        step = span // len(MUSIC_STORY)
        return [
            InterestActivity(
                child_id=kid.pk,
                interest=Interest.MUSIC,
                done_on=min(start + timedelta(days=step * i + 3), window.today),
                what=what,
                note=note,
                written_by_id=user,
                carer_id=carer,
            )
            for i, (what, note) in enumerate(MUSIC_STORY)
        ]
