namespace Subclone.Fuzz;

/// <summary>The seed corpus, generated rather than copied from real models so it stays a few KB and every byte is
/// known: small valid files of each format, in the shapes the readers support.</summary>
internal static class SeedCorpus
{
    public static IEnumerable<Seed> All() =>
        SafeTensorsSeeds.All()
            .Concat(ConfigSeeds.All())
            .Concat(Llama2cSeeds.All())
            .Concat(TokenizerSeeds.All())
            .Concat(TokenizerJsonSeeds.All());

    /// <summary>Writes every seed under <paramref name="corpus"/>/&lt;target&gt;/ and returns how many.</summary>
    public static int Write(string corpus)
    {
        int count = 0;
        foreach (var seed in All())
        {
            string dir = Path.Combine(corpus, seed.Target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, seed.Name), seed.Bytes);
            count++;
        }
        return count;
    }
}
