using Subclone.Data;
using Subclone.Tests.Support;

namespace Subclone.Tests.Training;

public class TokenCacheTests
{
    [Fact]
    public void Ids_are_stored_as_uint16_up_to_65536_ids_and_uint32_beyond()
    {
        using var dir = new TempDir();
        string text = TrainingTestKit.WriteStories(dir["stories.txt"], 20);

        using var small = TokenCache.Open([text], new CharTokenizer(), dir["cache"]);
        using var large = TokenCache.Open([text], new CharTokenizer(offset: 70_000), dir["cache"]);

        Assert.Equal(("uint16", 2), (small.Info.DtypeName, small.Info.BytesPerToken));
        Assert.Equal(small.Count * 2, new FileInfo(small.TokenPath).Length);
        Assert.Equal(("uint32", 4), (large.Info.DtypeName, large.Info.BytesPerToken));
        Assert.Equal(large.Count * 4, new FileInfo(large.TokenPath).Length);
        Assert.NotEqual(small.TokenPath, large.TokenPath);
        // The same text, so the same ids shifted by the offset: nothing above 65535 was truncated.
        Assert.Equal(small.Count, large.Count);
        for (long i = 0; i < small.Count; i += 97) Assert.Equal(small[i] + 70_000, large[i]);
        Assert.True(large[0] > ushort.MaxValue);
    }

    [Fact]
    public void Tokens_are_train_documents_then_validation_documents_each_ended_by_EOS()
    {
        using var dir = new TempDir();
        var tokenizer = new CharTokenizer();
        File.WriteAllText(dir["docs.txt"], string.Join("\n\n", Enumerable.Range(0, 40).Select(i => $"document number {i}")));

        using var data = TokenCache.Open([dir["docs.txt"]], tokenizer, dir["cache"]);

        var held = TokenCache.ValidationDocuments(40, TokenCache.DefaultValidationFraction, TokenCache.DefaultSplitSeed);
        var expected = Enumerable.Range(0, 40).Where(i => !held.Contains(i)).Concat(Enumerable.Range(0, 40).Where(held.Contains))
            .SelectMany(i => tokenizer.Encode($"document number {i}").Append(tokenizer.EosId!.Value)).Select(id => (long)id).ToArray();
        var actual = new long[data.Count];
        data.Read(0, actual);
        Assert.Equal(expected, actual);
        Assert.Equal((38, 2), (data.Info.TrainDocuments, data.Info.ValidationDocuments));
        Assert.Equal(expected.Length - data.Info.TrainTokens, data.Validation.Count);
        Assert.Equal(data.Info.TrainTokens, data.Validation.Start);
    }

    [Fact]
    public void The_split_is_a_function_of_the_seed_and_holds_out_at_least_one_document()
    {
        var a = TokenCache.ValidationDocuments(1000, 0.05, 7);
        var again = TokenCache.ValidationDocuments(1000, 0.05, 7);
        var other = TokenCache.ValidationDocuments(1000, 0.05, 8);

        Assert.Equal(50, a.Count);
        Assert.Equal(a.Order(), again.Order());
        Assert.NotEqual(a.Order(), other.Order());
        Assert.Single(TokenCache.ValidationDocuments(3, 0.05, 7));
        Assert.Single(TokenCache.ValidationDocuments(2, 0.9, 7));
        // Spread over the corpus, not its tail.
        Assert.Contains(a, i => i < 500);
        Assert.Contains(a, i => i >= 500);
    }

    [Fact]
    public void Unchanged_inputs_reuse_the_cache_and_a_changed_input_rebuilds_it()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["corpus"]);
        TrainingTestKit.WriteStories(dir["corpus/a.txt"], 30, seed: 1);
        TrainingTestKit.WriteStories(dir["corpus/b.txt"], 30, seed: 2);
        var tokenizer = new CharTokenizer();

        string tokenPath, sidecarPath;
        DateTime written, sidecarWritten;
        byte[] bytes;
        long tokens;
        using (var first = TokenCache.Open([dir["corpus"]], tokenizer, dir["cache"]))
        {
            tokenPath = first.TokenPath;
            sidecarPath = Path.ChangeExtension(tokenPath, ".json");
            tokens = first.Count;
        }
        // Back-date the files so a rewrite, even within the same clock tick, shows.
        var past = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(tokenPath, past);
        File.SetLastWriteTimeUtc(sidecarPath, past);
        bytes = File.ReadAllBytes(tokenPath);
        string hash = TokenCacheInfo.TryRead(sidecarPath)!.ContentSha256;

        using (var second = TokenCache.Open([dir["corpus"]], tokenizer, dir["cache"]))
        {
            written = File.GetLastWriteTimeUtc(tokenPath);
            sidecarWritten = File.GetLastWriteTimeUtc(sidecarPath);
            Assert.Equal(tokenPath, second.TokenPath);
            Assert.Equal(tokens, second.Count);
        }
        Assert.Equal(past, written);
        Assert.Equal(past, sidecarWritten);
        Assert.Equal(bytes, File.ReadAllBytes(tokenPath));
        Assert.Equal(2, Directory.GetFiles(dir["cache"]).Length);

        // Same length, one byte different: only the content hash can tell.
        string b = File.ReadAllText(dir["corpus/b.txt"]);
        File.WriteAllText(dir["corpus/b.txt"], "X" + b[1..]);
        using (var third = TokenCache.Open([dir["corpus"]], tokenizer, dir["cache"]))
        {
            Assert.Equal(tokenPath, third.TokenPath);
            Assert.NotEqual(past, File.GetLastWriteTimeUtc(tokenPath));
            Assert.NotEqual(bytes, File.ReadAllBytes(tokenPath));
            Assert.NotEqual(hash, TokenCacheInfo.TryRead(sidecarPath)!.ContentSha256);
        }

        // A new file in the folder is a change too.
        TrainingTestKit.WriteStories(dir["corpus/c.txt"], 5, seed: 3);
        using (var fourth = TokenCache.Open([dir["corpus"]], tokenizer, dir["cache"]))
            Assert.True(fourth.Count > tokens);
    }

    [Fact]
    public void A_damaged_cache_is_rebuilt_rather_than_trusted()
    {
        using var dir = new TempDir();
        string text = TrainingTestKit.WriteStories(dir["s.txt"], 10);
        string tokenPath;
        byte[] good;
        using (var data = TokenCache.Open([text], new CharTokenizer(), dir["cache"])) tokenPath = data.TokenPath;
        good = File.ReadAllBytes(tokenPath);
        File.WriteAllBytes(tokenPath, good[..^2]);

        using (var again = TokenCache.Open([text], new CharTokenizer(), dir["cache"])) Assert.Equal(good.Length / 2, again.Count);
        Assert.Equal(good, File.ReadAllBytes(tokenPath));
    }

    [Fact]
    public void The_sidecar_describes_tokenizer_inputs_counts_and_split()
    {
        using var dir = new TempDir();
        string text = TrainingTestKit.WriteStories(dir["s.txt"], 40);
        using var data = TokenCache.Open([text], new CharTokenizer(), dir["cache"]);

        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(data.TokenPath, ".json")))!;
        Assert.StartsWith("CharTokenizer vocab=201", (string)json["tokenizer"]!);
        Assert.Equal(Path.GetFullPath(text), (string)json["inputs"]![0]!);
        Assert.Equal(64, ((string)json["content_sha256"]!).Length);
        Assert.Equal(40, (int)json["documents"]!);
        Assert.Equal(data.Count, (long)json["tokens"]!);
        Assert.Equal(38, (int)json["split"]!["train_documents"]!);
        Assert.Equal(2, (int)json["split"]!["validation_documents"]!);
        Assert.Equal(data.Count, (long)json["split"]!["train_tokens"]! + (long)json["split"]!["validation_tokens"]!);
    }

    [Fact]
    public void XDG_CACHE_HOME_decides_the_default_directory()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal("/tmp/xdg/subclone/tokens", TokenCache.DefaultDirectory(_ => "/tmp/xdg"));
        Assert.Equal(Path.Combine(home, ".cache", "subclone", "tokens"), TokenCache.DefaultDirectory(_ => null));
        // The XDG spec says relative values are to be ignored.
        Assert.Equal(Path.Combine(home, ".cache", "subclone", "tokens"), TokenCache.DefaultDirectory(_ => "relative/dir"));
    }

    [Theory]
    [InlineData("empty file", "no text found")]
    [InlineData("empty folder", "no .txt or .jsonl files")]
    [InlineData("one document", "too short to hold out a validation tail")]
    [InlineData("missing", "no such file")]
    public void Unusable_data_is_a_one_line_error(string what, string message)
    {
        using var dir = new TempDir();
        string path = what switch
        {
            "empty file" => dir["empty.txt"],
            "empty folder" => dir["folder"],
            "one document" => dir["one.txt"],
            _ => dir["missing.txt"],
        };
        if (what == "empty file") File.WriteAllText(path, "\n\n  \n");
        if (what == "empty folder") Directory.CreateDirectory(path);
        if (what == "one document") File.WriteAllText(path, "x");  // one token: no tail can be held out

        var e = Assert.Throws<UserInputException>(() => TokenCache.Open([path], new CharTokenizer(), dir["cache"]));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.False(Directory.Exists(dir["cache"]) && Directory.GetFiles(dir["cache"], "*.tokens").Length > 0);
    }
}
