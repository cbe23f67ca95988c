#!/usr/bin/env bash
# Packs the NuGet packages and uses them as a user would, in a temporary folder:
#   1. installs the Subclone.Tool .NET tool from a local feed with `dotnet tool install --tool-path` (a platform-specific
#      tool: the pointer package resolves to Subclone.Tool.linux-x64, which must be under nuget.org's 250 MB) and runs
#      `subclone info minilm` and a tiny `clone` (init a random Llama, clone it to half width);
#   2. builds and runs a console app that references the Subclone library package.
# Both load TorchSharp's native library. On a distribution whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12) that
# only works if the packaged copy (tool) or the app's output copy (library, via buildTransitive/Subclone.targets)
# was patched by build/TorchSharpGlibcxx.targets, so this is the test of that patch as users get it.
# Takes a few minutes and ~3 GB of temporary disk (pack writes one tool package per platform, each with its libtorch);
# .ci/run runs it after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version no cache can already hold, so what is installed is what was just packed.
version="0.0.0-smoke.$(date +%s)"
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}

if grep -qa GLIBCXX_3.4.32 "$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')" 2>/dev/null; then
  echo "note: this libstdc++ has GLIBCXX_3.4.32, so the runs below do not exercise the GLIBCXX patch"
else
  echo "this libstdc++ lacks GLIBCXX_3.4.32: the runs below load TorchSharp only if the packaged library was patched"
fi

dotnet pack Subclone.sln -c Release -p:Version="$version" -o "$work/feed" -v quiet -nologo

# Only the freshly packed feed; the user's package folder serves the library's dependencies (TorchSharp …) read-only.
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources><clear /><add key="smoke" value="$work/feed" /></packageSources>
  <fallbackPackageFolders><add key="user" value="$packages" /></fallbackPackageFolders>
</configuration>
XML

echo "== packages"
ls -l "$work/feed"
limit=$((250 * 1000 * 1000))
for rid in linux-x64 win-x64 osx-arm64; do
  size=$(stat -c %s "$work/feed/Subclone.Tool.$rid.$version.nupkg")
  echo "Subclone.Tool.$rid: $size bytes"
  [ "$size" -lt "$limit" ] || { echo "Subclone.Tool.$rid is over nuget.org's 250 MB limit"; exit 1; }
done

echo "== dotnet tool install Subclone.Tool $version"
NUGET_PACKAGES="$work/packages" dotnet tool install --tool-path "$work/tool" --configfile "$work/nuget.config" \
  Subclone.Tool --version "$version"
info=$("$work/tool/subclone" info minilm --json)
echo "$info"
grep -q '"architecture":"BertModel"' <<<"$info"
grep -q '"params":22713216' <<<"$info"
# Only this platform's package was fetched (into the tool's store or the package folder).
installed=$(find "$work/tool" "$work/packages" -iname 'subclone.tool.*-*' 2>/dev/null || true)
grep -qi 'subclone.tool.linux-x64' <<<"$installed"
! grep -qi 'subclone.tool.win-x64' <<<"$installed"

echo "== tiny clone with the installed tool"
cat > "$work/tiny.json" <<JSON
{"model_type":"llama","hidden_size":32,"num_attention_heads":4,"num_key_value_heads":2,"num_hidden_layers":2,
 "intermediate_size":64,"vocab_size":64,"max_position_embeddings":32}
JSON
"$work/tool/subclone" init --config "$work/tiny.json" --out "$work/parent"
"$work/tool/subclone" clone "$work/parent" --out "$work/child" --ratio 0.5 --calib-random-ids 4x16
child=$("$work/tool/subclone" info "$work/child" --json)
echo "$child"
grep -q '"hidden":16' <<<"$child"

echo "== console app referencing the Subclone package"
mkdir "$work/app"
cat > "$work/app/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>\$(NoWarn);NU1603</NoWarn>
  </PropertyGroup>
  <ItemGroup><PackageReference Include="Subclone" Version="$version" /></ItemGroup>
</Project>
XML
echo 'Console.WriteLine($"params {Subclone.Checkpoints.MiniLmModel.Load().ParameterCount()}");' > "$work/app/Program.cs"
cp "$work/nuget.config" "$work/app/nuget.config"
app=$(cd "$work/app" && NUGET_PACKAGES="$work/packages" dotnet run -c Release)
echo "$app"
grep -qx 'params 22713216' <<<"$app"

echo "smoke: 3 passed, 0 failed"
