using System.Text;

namespace Subclone.Fuzz;

/// <summary>The few protobuf wire encodings a SentencePiece .model needs, to write seed models without a protobuf library.</summary>
internal sealed class ProtoWriter
{
    readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public ProtoWriter Varint(int field, long value) => Tag(field, 0).Raw((ulong)value);

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        _bytes.AddRange(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    ProtoWriter Bytes(int field, byte[] value)
    {
        Tag(field, 2).Raw((ulong)value.Length);
        _bytes.AddRange(value);
        return this;
    }

    ProtoWriter Tag(int field, int wireType) => Raw((ulong)(field << 3 | wireType));

    // Negative int32s are written as ten-byte varints, as protobuf does.
    ProtoWriter Raw(ulong value)
    {
        for (; value >= 0x80; value >>= 7) _bytes.Add((byte)(value | 0x80));
        _bytes.Add((byte)value);
        return this;
    }
}
