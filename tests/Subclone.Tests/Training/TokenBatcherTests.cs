using Subclone.Data;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Training;

public class TokenBatcherTests
{
    static long[] Values(Tensor t) => t.data<long>().ToArray();

    [Fact]
    public void Targets_are_the_inputs_shifted_by_one_token_of_the_file()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 50)], new CharTokenizer(), dir["cache"]);
        var batcher = new TokenBatcher(data, 4, 16, seed: 3);

        var (input, target) = batcher.NextTrain();

        Assert.Equal([4L, 16], input.shape);
        Assert.Equal([4L, 16], target.shape);
        Assert.Equal(Values(input[.., 1..]), Values(target[.., ..15]));
        // Each row is a real window of the train split: find it in the file.
        var all = new long[data.Train.Count];
        data.Read(0, all);
        var row = Values(input[0]).Append(Values(target[0])[^1]).ToArray();
        Assert.Contains(Enumerable.Range(0, all.Length - 16), s => all.AsSpan(s, 17).SequenceEqual(row));
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_the_sampler_state_resumes_them()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 50)], new CharTokenizer(), dir["cache"]);
        var a = new TokenBatcher(data, 4, 16, seed: 3);
        var b = new TokenBatcher(data, 4, 16, seed: 3);
        var c = new TokenBatcher(data, 4, 16, seed: 4);

        var first = Values(a.NextTrain().Input);
        Assert.Equal(first, Values(b.NextTrain().Input));
        Assert.NotEqual(first, Values(c.NextTrain().Input));

        ulong state = a.SamplerState;
        var next = Values(a.NextTrain().Input);
        var resumed = new TokenBatcher(data, 4, 16, seed: 999) { SamplerState = state };
        Assert.Equal(next, Values(resumed.NextTrain().Input));
    }

    [Fact]
    public void The_validation_set_is_fixed_and_comes_from_the_validation_split()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["docs.txt"], string.Join("\n\n", Enumerable.Range(0, 100).Select(i => $"{(char)('a' + i % 26)} document {i} with some words")));
        using var data = TokenCache.Open([dir["docs.txt"]], new CharTokenizer(), dir["cache"]);
        var batcher = new TokenBatcher(data, 2, 8, seed: 1);

        var once = batcher.ValidationSet(3);
        batcher.NextTrain();
        var twice = batcher.ValidationSet(3);

        Assert.Equal(3, once.Count);
        Assert.All(once, b => Assert.Equal([2L, 9], b.Input.shape));
        Assert.Equal(once.SelectMany(b => Values(b.Input)), twice.SelectMany(b => Values(b.Input)));
        var validation = new long[data.Validation.Count];
        data.Read(data.Validation.Start, validation);
        // First window starts the split, last window ends it.
        Assert.Equal(validation[..9], Values(once[0].Input[0]));
        Assert.Equal(validation[^9..], Values(once[^1].Input[1]));
    }

    [Fact]
    public void A_split_shorter_than_one_window_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 3)], new CharTokenizer(), dir["cache"]);

        var e = Assert.Throws<UserInputException>(() => new TokenBatcher(data, 2, 4096, seed: 1));
        Assert.Contains("--seq 4096", e.Message);
        var batcher = new TokenBatcher(data, 2, (int)data.Validation.Count, seed: 1);
        Assert.Contains("validation split", Assert.Throws<UserInputException>(() => batcher.ValidationSet(1)).Message);
    }
}
