namespace Subclone.Tests.Support;

/// <summary>
/// Fashion-MNIST as Debian's dataset-fashion-mnist package installs it (the README's setup and .ci/run install
/// it); tests that need it skip, saying how to get it, where it is absent.
/// </summary>
public static class FashionMnist
{
    public const string Directory = "/usr/share/datasets/fashion-mnist";

    public static bool Available => System.IO.File.Exists(File("t10k-images-idx3-ubyte.gz"));

    public const string AbsentMessage = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";

    public static string File(string name) => Path.Combine(Directory, name);
}

/// <summary>A fact that needs Fashion-MNIST: skipped, with the reason, where it is absent.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute() { if (!FashionMnist.Available) Skip = FashionMnist.AbsentMessage; }
}
