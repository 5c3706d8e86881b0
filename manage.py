"""Command line: ``python manage.py migrate | seed-demo | generate | create-user``.

Scheduled and administrative work runs here, calling the same services as the pages.
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from models import Role
from services.config.loader import ConfigError
from services.infra.clock import local_date, now_utc
from services.infra.errors import ServiceError
from services.runtime import start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description="Giao việc — quản trị dòng lệnh")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="kiểm tra cấu hình, tạo/nâng cấp CSDL, đồng bộ đơn vị")
    sub.add_parser("seed-demo", help="tạo tài khoản và dữ liệu mẫu (chạy lại không nhân đôi)")
    generate = sub.add_parser(
        "generate", help="sinh N nhiệm vụ với lịch sử xử lý như thật (đo hiệu năng; chạy lại thêm N nhiệm vụ)"
    )
    generate.add_argument("--tasks", type=int, required=True, help="số nhiệm vụ cần sinh")
    generate.add_argument("--seed", type=int, default=1, help="hạt giống ngẫu nhiên (mặc định 1)")
    user = sub.add_parser("create-user", help="tạo tài khoản")
    user.add_argument("username")
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--unit", required=True, help="mã định danh đơn vị")
    user.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    try:
        runtime = start()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    with Session(runtime.engine) as session:
        try:
            if args.command == "seed-demo":
                from demo.seed import seed_demo

                count = seed_demo(session=session, config=runtime.config, today=local_date(now_utc()))
                print(f"Đã tạo {count} văn bản mẫu." if count else "Dữ liệu mẫu đã có sẵn.")
            elif args.command == "generate":
                from demo.generate import generate_tasks

                if args.tasks < 1:
                    print("--tasks phải lớn hơn 0.", file=sys.stderr)
                    return 2
                report = generate_tasks(
                    session=session,
                    config=runtime.config,
                    tasks=args.tasks,
                    today=local_date(now_utc()),
                    seed=args.seed,
                )
                print(report.summary())
            elif args.command == "create-user":
                from services.access.accounts import create_user

                create_user(
                    session=session,
                    username=args.username,
                    full_name=args.name,
                    password=args.password,
                    role=Role(args.role),
                    unit_code=args.unit,
                )
                print(f"Đã tạo tài khoản {args.username}.")
            else:
                print("Cơ sở dữ liệu đã được cập nhật.")
        except ServiceError as exc:
            print(exc.message, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
