using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Subclone.Data;

/// <summary>
/// A token file opened through a memory map: windows are read straight from the page cache, so a corpus larger
/// than memory costs only the pages that are sampled.
/// </summary>
public sealed class TokenDataset : IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;

    TokenDataset(string path, TokenCacheInfo info, MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        TokenPath = path;
        Info = info;
        _file = file;
        _view = view;
    }

    /// <summary>The token file.</summary>
    public string TokenPath { get; }
    /// <summary>The file's sidecar: splits, dtype and where the tokens came from.</summary>
    public TokenCacheInfo Info { get; }
    /// <summary>Tokens in the file.</summary>
    public long Count => Info.Tokens;
    /// <summary>The train split: the file's first <see cref="TokenCacheInfo.TrainTokens"/> tokens.</summary>
    public TokenSplit Train => new(0, Info.TrainTokens);
    /// <summary>The validation split: the tokens after the train split.</summary>
    public TokenSplit Validation => new(Info.TrainTokens, Info.ValidationTokens);

    /// <summary>Maps the token file at <paramref name="path"/>, checking its length against <paramref name="info"/>.</summary>
    public static TokenDataset Open(string path, TokenCacheInfo info)
    {
        long expected = info.Tokens * info.BytesPerToken;
        long actual = new FileInfo(path).Length;
        if (actual != expected) throw new InvalidDataException($"{path}: {actual} bytes, but its sidecar describes {info.Tokens} tokens of {info.BytesPerToken} bytes");
        if (expected == 0) throw new UserInputException($"{string.Join(", ", info.Inputs)}: the text produced no tokens");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            return new TokenDataset(path, info, file, file.CreateViewAccessor(0, expected, MemoryMappedFileAccess.Read));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Copies tokens [<paramref name="start"/>, start + destination.Length) into <paramref name="destination"/>.</summary>
    public void Read(long start, Span<long> destination)
    {
        int n = destination.Length;
        if (start < 0 || start + n > Count) throw new ArgumentOutOfRangeException(nameof(start), $"tokens {start}..{start + n} are outside 0..{Count}");
        if (Info.BytesPerToken == 2)
        {
            var buffer = ArrayPool<ushort>.Shared.Rent(n);
            _view.ReadArray(start * 2, buffer, 0, n);
            for (int i = 0; i < n; i++) destination[i] = buffer[i];
            ArrayPool<ushort>.Shared.Return(buffer);
        }
        else
        {
            var buffer = ArrayPool<uint>.Shared.Rent(n);
            _view.ReadArray(start * 4, buffer, 0, n);
            for (int i = 0; i < n; i++) destination[i] = buffer[i];
            ArrayPool<uint>.Shared.Return(buffer);
        }
    }

    /// <summary>The token at <paramref name="index"/>.</summary>
    public long this[long index]
    {
        get
        {
            Span<long> one = stackalloc long[1];
            Read(index, one);
            return one[0];
        }
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}
