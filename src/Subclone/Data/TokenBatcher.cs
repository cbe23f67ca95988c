using static TorchSharp.torch;

namespace Subclone.Data;

/// <summary>
/// Next-token batches from a token file: random windows of T+1 tokens (input = the first T, target = the last T)
/// drawn with a seeded generator whose state can be saved and restored, and a fixed validation set that is the
/// same windows at every evaluation.
/// </summary>
public sealed class TokenBatcher
{
    readonly SplitMix64 _random;

    /// <summary>
    /// Samples training windows of <paramref name="sequenceLength"/> + 1 tokens from <paramref name="data"/>'s train split,
    /// <paramref name="batchSize"/> per batch, from <paramref name="seed"/>.
    /// </summary>
    public TokenBatcher(TokenDataset data, int batchSize, int sequenceLength, ulong seed)
    {
        if (batchSize <= 0) throw new UserInputException($"batch size must be positive, got {batchSize}");
        if (sequenceLength <= 0) throw new UserInputException($"sequence length must be positive, got {sequenceLength}");
        // One batch is read into one array of ids: past this it would overflow, and no model step of that size fits anyway.
        if ((long)batchSize * (sequenceLength + 1L) > MaxBatchTokens)
            throw new UserInputException($"--batch {batchSize} × --seq {sequenceLength} is {(long)batchSize * sequenceLength:N0} tokens per batch, more than {MaxBatchTokens:N0}");
        Data = data;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _random = new SplitMix64(seed);
        RequireWindow(data.Train, "train");
    }

    /// <summary>The most tokens one batch may hold (2 GiB of int64 ids).</summary>
    public const long MaxBatchTokens = 1L << 28;

    /// <summary>The token file windows are read from.</summary>
    public TokenDataset Data { get; }
    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Tokens per window, not counting the extra target token.</summary>
    public int SequenceLength { get; }

    /// <summary>Where random sampling stands: saving it and setting it back continues the same sequence of windows.</summary>
    public ulong SamplerState
    {
        get => _random.State;
        set => _random.State = value;
    }

    /// <summary>A random batch from the train split: input and target ids, [B, T] int64 each.</summary>
    public (Tensor Input, Tensor Target) NextTrain() => Next(Data.Train);

    /// <summary>A random batch from <paramref name="split"/>.</summary>
    public (Tensor Input, Tensor Target) Next(TokenSplit split)
    {
        RequireWindow(split, split == Data.Train ? "train" : "validation");
        int window = SequenceLength + 1;
        var ids = new long[BatchSize * window];
        for (int b = 0; b < BatchSize; b++)
        {
            long start = split.Start + _random.NextInt64(split.Count - SequenceLength);
            Data.Read(start, ids.AsSpan(b * window, window));
        }
        using var windows = tensor(ids, [BatchSize, window]);
        return (windows[.., ..SequenceLength].contiguous(), windows[.., 1..].contiguous());
    }

    /// <summary>
    /// <paramref name="batches"/> batches of windows of T+1 tokens spread evenly over the validation split, first to
    /// last: no randomness, so every evaluation (and every later run on the same cache) sees the same tokens.
    /// </summary>
    public List<ModelBatch> ValidationSet(int batches) => FixedWindows(Data.Validation, batches);

    /// <paramref name="batches"/> batches of windows spread evenly over <paramref name="split"/>, with no randomness.
    public List<ModelBatch> FixedWindows(TokenSplit split, int batches)
    {
        RequireWindow(split, "validation");
        if (batches <= 0) throw new UserInputException($"evaluation batches must be positive, got {batches}");
        int window = SequenceLength + 1;
        long count = (long)batches * BatchSize, positions = split.Count - SequenceLength;
        // More windows than start positions would only repeat windows (and take as long as the split is small).
        if (count > positions)
            throw new UserInputException($"--eval-batches {batches} × --batch {BatchSize} = {count:N0} windows, but the validation split has "
                + $"{positions:N0} window positions ({split.Count:N0} tokens, --seq {SequenceLength}); use fewer --eval-batches");
        var result = new List<ModelBatch>();
        for (int b = 0; b < batches; b++)
        {
            // A fresh array per batch: the tensor may keep referring to it.
            var ids = new long[BatchSize * window];
            for (int j = 0; j < BatchSize; j++)
            {
                long i = (long)b * BatchSize + j;
                long offset = count == 1 ? 0 : (long)((Int128)i * (positions - 1) / (count - 1));
                Data.Read(split.Start + offset, ids.AsSpan(j * window, window));
            }
            result.Add(new ModelBatch(tensor(ids, [BatchSize, window])));
        }
        return result;
    }

    void RequireWindow(TokenSplit split, string name)
    {
        if (split.Count < SequenceLength + 1)
            throw new UserInputException($"{string.Join(", ", Data.Info.Inputs)}: the {name} split has {split.Count} tokens; a window of --seq {SequenceLength} "
                + $"needs {SequenceLength + 1} (use a shorter --seq or more text)");
    }
}
