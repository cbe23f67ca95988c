using Subclone.Build;

namespace Subclone.Tests.Build;

public class ElfVersionNeedTests
{
    static string PackageLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static string OutputLibrary() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The flags of every vernaux entry with this name, read by an independent walk (readelf-like).</summary>

    [Fact]
    public void Marks_the_GLIBCXX_3_4_32_need_weak_and_changes_exactly_one_byte()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(PackageLibrary());
        byte[] patched = (byte[])original.Clone();

        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeed.MarkWeak(patched, "GLIBCXX_3.4.32"));

        var diffs = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.Single(diffs);
        Assert.Equal(original[diffs[0]] | ElfVersionNeed.VerFlagWeak, patched[diffs[0]]);
    }

    [Fact]
    public void Is_idempotent()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] image = File.ReadAllBytes(PackageLibrary());
        ElfVersionNeed.MarkWeak(image, "GLIBCXX_3.4.32");
        byte[] once = (byte[])image.Clone();

        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeed.MarkWeak(image, "GLIBCXX_3.4.32"));
        Assert.Equal(once, image);
    }

    [Fact]
    public void Is_a_no_op_where_the_version_is_absent()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(PackageLibrary());
        byte[] image = (byte[])original.Clone();

        Assert.Equal(ElfPatchOutcome.NotPresent, ElfVersionNeed.MarkWeak(image, "GLIBCXX_9.9.99"));
        Assert.Equal(original, image);
    }

    [Fact]
    public void Build_patched_the_output_copy_and_left_the_package_cache_alone()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeed.MarkWeak(File.ReadAllBytes(OutputLibrary()), "GLIBCXX_3.4.32"));
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeed.MarkWeak(File.ReadAllBytes(PackageLibrary()), "GLIBCXX_3.4.32"));
    }

    [Fact]
    public void Rejects_a_file_that_is_not_ELF()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.MarkWeak(new byte[64], "GLIBCXX_3.4.32"));
    }

    [Fact]
    public void Rejects_section_headers_pointing_outside_the_file()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] image = File.ReadAllBytes(PackageLibrary())[..4096];
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.MarkWeak(image, "GLIBCXX_3.4.32"));
    }
}
