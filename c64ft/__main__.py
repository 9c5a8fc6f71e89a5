from c64ft.cli import app

app(prog_name="c64ft")
