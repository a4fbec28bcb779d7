# Builds the desktop bundle on Windows (PyInstaller, one folder): dist\bundle\studio-console\studio-console.exe
# The same steps as scripts/build_bundle.sh: build the wheel, install it with requirements\constraints.txt
# and PyInstaller into build\bundle-venv, run packaging\pyinstaller\studio-console.spec from outside the
# checkout. Written for Windows PowerShell 5.1 and PowerShell 7; NOT RUN on Windows by this project yet.
# Usage (from anywhere):  powershell -ExecutionPolicy Bypass -File scripts\build_bundle.ps1
$ErrorActionPreference = "Stop"
$root = Resolve-Path (Join-Path $PSScriptRoot "..")
Set-Location $root
$started = Get-Date
$python = if ($env:PYTHON) { $env:PYTHON } else { "py" }
$pyArgs = if ($python -eq "py") { @("-3") } else { @() }
$venv = Join-Path $root "build\bundle-venv"
$out = if ($env:BUNDLE_DIST) { $env:BUNDLE_DIST } else { Join-Path $root "dist\bundle" }
New-Item -ItemType Directory -Force -Path $out | Out-Null
$out = (Resolve-Path $out).Path
$vpy = Join-Path $venv "Scripts\python.exe"
if (-not (Test-Path $vpy)) { & $python @pyArgs -m venv $venv; if ($LASTEXITCODE) { throw "venv failed" } }
& $vpy -m pip install -q --upgrade pip
Remove-Item -Recurse -Force (Join-Path $root "build\bundle-wheel"), (Join-Path $root "build\lib") -ErrorAction SilentlyContinue
& $vpy -m pip wheel -q --no-deps -w (Join-Path $root "build\bundle-wheel") $root
if ($LASTEXITCODE) { throw "wheel build failed" }
$wheel = (Get-ChildItem (Join-Path $root "build\bundle-wheel\studio_console-*.whl")).FullName
& $vpy -m pip install -q -c (Join-Path $root "requirements\constraints.txt") --force-reinstall $wheel -r (Join-Path $root "requirements\bundle.txt")
if ($LASTEXITCODE) { throw "install failed" }
$work = Join-Path $root "build\bundle-work"
New-Item -ItemType Directory -Force -Path $work | Out-Null
Push-Location $work  # the checkout's studio_console\ folder must not shadow the installed wheel
try {
    & $vpy -m PyInstaller --noconfirm --clean --log-level WARN --distpath $out --workpath $work (Join-Path $root "packaging\pyinstaller\studio-console.spec")
    if ($LASTEXITCODE) { throw "PyInstaller failed" }
} finally { Pop-Location }
$seconds = [int]((Get-Date) - $started).TotalSeconds
Write-Output "build_bundle: $out\studio-console built in $seconds s"
