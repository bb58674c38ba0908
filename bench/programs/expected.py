import struct
M32=0xffffffff; M64=(1<<64)-1
def packet():
    p=bytearray(1500); x=0x1234567
    def nxt():
        nonlocal x
        x=(x*1103515245+12345)&M32
        return x>>16
    off=0
    while off+36<=1500:
        ln=nxt()%12; p[off]=nxt()%10; p[off+1]=ln
        for k in range(ln): p[off+2+k]=nxt()&0xff
        off+=2+ln
    for i in range(off,1500): p[i]=nxt()&0xff
    return p
p=packet()
# sieve
N=1024; f=[1 if i>=2 else 0 for i in range(N)]
for i in range(2,32):
    if f[i]:
        for j in range(i*i,N,i): f[j]=0
cnt=sum(f); sm=sum(i for i in range(N) if f[i])
print("sieve", hex((cnt | (sm<<8))&M32))
s=sum(struct.unpack_from('<750H',p))
for _ in range(3): s=(s&0xffff)+(s>>16)
print("checksum", hex((~s)&0xffff))
lanes=struct.unpack_from('<8Q',p); h=0x27d4eb2f165667c5
for i in range(512):
    h^=(lanes[i&7]*0xc2b2ae3d27d4eb4f)&M64
    h=((h<<31)|(h>>33))&M64
    h=(h*0x9e3779b185ebca87+0x85ebca77c2b2ae63)&M64
h^=h>>33; h=(h*0xff51afd7ed558ccd)&M64; h^=h>>29
print("hashmix", hex((h^(h>>32))&M32))
off=a=b=rec=0; res=None
for i in range(64):
    off&=0x3ff; t=p[off]; ln=p[off+1]; v=p[off+2]
    if t==0: a=(a+v)&M32
    elif t==1: b^=(v<<3)
    elif t==2: a=(a*33+v)&M32
    elif t==3: b=(b+(a^v))&M32
    elif t==4: a^=b>>2
    elif t==5: b=(b*5+ln)&M32
    elif t==6: a=(a+((p[off+3]<<8)|v))&M32
    elif t==7: b=(b-v)&M32
    elif t==8: a=((a<<5)|(a>>27))&M32
    elif t==9: rec+=100
    else: res=(a^b^rec^0xdead0000)&M32; break
    rec+=1; off+=2+(ln&0x1f)
print("tlv", hex(res if res is not None else (a^((b<<1)&M32)^rec)&M32), "early" if res is not None else "full")
