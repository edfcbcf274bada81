"""Deception: the one fake machine every honeypot door (SSH, HTTP, FTP, SMTP...) shows.

* :mod:`persona`: what the machine claims to be (data files in ``personas/``), drawn per install.
* :mod:`fakefs`: base tree + per-attacker copy-on-write overlay (SQLite, no pickle).
* :mod:`shell`: a bash-like interpreter over the fake host (``run_command``).
* :mod:`honeytokens`, :mod:`credentials`: planted secrets and the login policy.
* :mod:`host`: :class:`~phantomnet.deception.host.FakeHost` bundles them.

How a door uses it (all from the event loop; nothing here touches the real system)::

    host = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
    host.persona.software("apache")          # "Apache/2.4.65 (Debian)", vsftpd, postfix...
    host.persona.fqdn, host.persona.uname("a")
    fs = host.fs(attacker_ip)                # the same view the SSH shell shows that source
    fs.read("/var/www/html/wp-config.php"); fs.write("/var/www/html/x.php", body)
    fs.listdir("/var/www/html"); fs.stat(path); fs.mkdir(path, parents=True); fs.remove(path)
    sha = host.store_upload(body)            # <data_dir>/uploads/<sha256>
    fs.add_blob("/srv/ftp/up.bin", sha, len(body))  # an upload appears in the tree
    host.policy.check_password(ip, user, password)  # .accepted, .token (honeytoken hit)
    host.tokens.register("web_password", secret, username="admin", planted_in=("/admin",))
    result = await run_command("id; cat /etc/passwd", host, ip, user="www-data",
                               cwd="/var/www/html")   # .stdout .stderr .status .downloads

Errors from ``fs`` are :class:`~phantomnet.deception.fakefs.FsError` with an errno and
glibc's ``strerror`` text.
"""
