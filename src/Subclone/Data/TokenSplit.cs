namespace Subclone.Data;

/// <summary>A contiguous run of tokens in a token file: the train split or the validation split.</summary>
public readonly record struct TokenSplit(long Start, long Count);
