// Marks one symbol-version requirement of an ELF shared library as weak.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13 and lists GLIBCXX_3.4.32 in its
// .gnu.version_r section. Debian 12 ships GCC 12's libstdc++, which lacks that version, so the dynamic
// loader refuses the library even though the one symbol behind it (std::ios_base_library_init) is never
// called. A version requirement with VER_FLG_WEAK set only produces a warning when missing, so setting
// that flag on the output copy lets the library load on older distributions.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory as an inline task (see
// build/TorchSharpGlibcxx.targets, also packed for library users) and by the test project (with SUBCLONE_TESTS defined) to test the parser.
using System;
using System.IO;
using System.Text;

namespace Subclone.Build
{
    public enum ElfPatchOutcome { Patched, AlreadyWeak, NotPresent }

    public static class ElfVersionNeed
    {
        public const ushort VerFlagWeak = 2;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Sets VER_FLG_WEAK on the vernaux entry named <paramref name="versionName"/> in the
        /// image's SHT_GNU_verneed section. Returns what it did; throws InvalidDataException on a malformed image.</summary>
        public static ElfPatchOutcome MarkWeak(byte[] image, string versionName)
        {
            var elf = new Reader(image);
            if (image.Length < 16 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            bool is64 = image[4] == 2;
            if (image[4] != 1 && image[4] != 2) throw new InvalidDataException("unknown ELF class " + image[4]);
            elf.LittleEndian = image[5] == 1;
            if (image[5] != 1 && image[5] != 2) throw new InvalidDataException("unknown ELF data encoding " + image[5]);

            ulong shoff = is64 ? elf.U64(0x28) : elf.U32(0x20);
            int shentsize = elf.U16(is64 ? 0x3A : 0x2E);
            int shnum = elf.U16(is64 ? 0x3C : 0x30);
            if (shoff == 0 || shnum == 0) return ElfPatchOutcome.NotPresent;

            var outcome = ElfPatchOutcome.NotPresent;
            for (int i = 0; i < shnum; i++)
            {
                long sh = checked((long)shoff + (long)i * shentsize);
                uint type = elf.U32(sh + 4);
                if (type != ShtGnuVerneed) continue;
                long offset = is64 ? (long)elf.U64(sh + 0x18) : elf.U32(sh + 0x10);
                uint link = elf.U32(sh + (is64 ? 0x28 : 0x18));
                uint count = elf.U32(sh + (is64 ? 0x2C : 0x1C));   // sh_info: number of Verneed entries
                if (link >= shnum) throw new InvalidDataException("verneed section links to a missing string table");
                long strtab = checked((long)shoff + (long)link * shentsize);
                long strOffset = is64 ? (long)elf.U64(strtab + 0x18) : elf.U32(strtab + 0x10);
                long strSize = is64 ? (long)elf.U64(strtab + 0x20) : elf.U32(strtab + 0x14);

                long need = offset;
                for (uint n = 0; n < count; n++)
                {
                    int auxCount = elf.U16(need + 2);
                    long aux = need + elf.U32(need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        uint nameOffset = elf.U32(aux + 8);
                        if (nameOffset >= strSize) throw new InvalidDataException("version name outside the string table");
                        if (elf.CString(strOffset + nameOffset) == versionName)
                        {
                            ushort flags = elf.U16(aux + 4);
                            if ((flags & VerFlagWeak) != 0) { if (outcome == ElfPatchOutcome.NotPresent) outcome = ElfPatchOutcome.AlreadyWeak; }
                            else { elf.WriteU16(aux + 4, (ushort)(flags | VerFlagWeak)); outcome = ElfPatchOutcome.Patched; }
                        }
                        uint nextAux = elf.U32(aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = elf.U32(need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return outcome;
        }

        /// <summary>Patches a file in place: the new bytes are written to a sibling and renamed over the
        /// original, so a hard link to a package cache is replaced rather than modified.</summary>
        public static ElfPatchOutcome MarkWeak(string path, string versionName)
        {
            byte[] image = File.ReadAllBytes(path);
            var outcome = MarkWeak(image, versionName);
            if (outcome != ElfPatchOutcome.Patched) return outcome;
            string temp = path + ".weak-tmp";
            File.WriteAllBytes(temp, image);
            // File.Move(…, overwrite) is missing from the API the inline-task compiler targets.
            File.Delete(path);
            File.Move(temp, path);
            return outcome;
        }

        sealed class Reader
        {
            readonly byte[] _b;
            public bool LittleEndian = true;
            public Reader(byte[] b) { _b = b; }
            void Check(long at, int n) { if (at < 0 || at + n > _b.Length) throw new InvalidDataException("ELF structure points outside the file (offset " + at + ")"); }
            public ushort U16(long at) { Check(at, 2); return LittleEndian ? (ushort)(_b[at] | _b[at + 1] << 8) : (ushort)(_b[at] << 8 | _b[at + 1]); }
            public uint U32(long at) { return LittleEndian ? (uint)(U16(at) | (uint)U16(at + 2) << 16) : (uint)((uint)U16(at) << 16 | U16(at + 2)); }
            public ulong U64(long at) { return LittleEndian ? U32(at) | (ulong)U32(at + 4) << 32 : (ulong)U32(at) << 32 | U32(at + 4); }
            public void WriteU16(long at, ushort v)
            {
                Check(at, 2);
                if (LittleEndian) { _b[at] = (byte)v; _b[at + 1] = (byte)(v >> 8); }
                else { _b[at] = (byte)(v >> 8); _b[at + 1] = (byte)v; }
            }
            public string CString(long at)
            {
                Check(at, 1);
                long end = at;
                while (end < _b.Length && _b[end] != 0) end++;
                return Encoding.ASCII.GetString(_b, (int)at, (int)(end - at));
            }
        }
    }

#if !SUBCLONE_TESTS
    /// <summary>MSBuild task: marks <see cref="VersionName"/> weak in every file of <see cref="Files"/>.</summary>
    public class MarkElfVersionNeedWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();
        [Microsoft.Build.Framework.Required] public string VersionName { get; set; } = "";

        public override bool Execute()
        {
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                try
                {
                    var outcome = ElfVersionNeed.MarkWeak(path, VersionName);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "{0}: {1} {2}", path, VersionName, outcome);
                }
                catch (Exception e) when (e is InvalidDataException || e is IOException)
                {
                    Log.LogError("{0}: cannot mark {1} weak: {2}", path, VersionName, e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
